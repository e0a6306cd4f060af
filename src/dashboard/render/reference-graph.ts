import { referencesOf } from '../../kernel/plugin/resource-ref.js';
import type { ResourceType } from '../../kernel/plugin/resource-type.js';
import { html, type SafeHtml } from './html.js';

/** What the graph reads of a resource. */
export interface GraphResource {
  readonly name: string;
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** One reference: `from`'s config field `field` names `to`. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly field: string;
}

/** A resource placed in the drawing: its layer (reference depth) and row. */
export interface GraphNode {
  readonly name: string;
  readonly type: string;
  readonly layer: number;
  readonly row: number;
}

const NODE_WIDTH = 190;
const NODE_HEIGHT = 46;
const LAYER_GAP = 90;
const ROW_GAP = 18;
const MARGIN = 10;
const MAX_LABEL = 24;

/**
 * Places resources in layers by reference depth: a resource that refers to
 * nothing is in layer 0, any other one layer right of the deepest resource it
 * refers to; rows within a layer go by name. Depends only on the resources,
 * never on their order, so the same deployment always draws the same.
 */
export function layoutGraph(resources: readonly GraphResource[], typeOf: (type: string) => Pick<ResourceType, 'schema'> | undefined): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const byName = new Map(resources.map((resource) => [resource.name, resource]));
  const edges: GraphEdge[] = resources
    .flatMap((resource) => referencesOf(typeOf(resource.type), resource.config).map(({ field, name }) => ({ from: resource.name, to: name, field })))
    .filter((edge) => byName.has(edge.to) && edge.to !== edge.from)
    .sort((a, b) => a.from.localeCompare(b.from) || a.field.localeCompare(b.field) || a.to.localeCompare(b.to));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    // The kernel refuses cycles; a stored one still draws (its back edge counts as depth 0).
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const targets = edges.filter((edge) => edge.from === name).map((edge) => depthOf(edge.to) + 1);
    visiting.delete(name);
    const value = Math.max(0, ...targets);
    depth.set(name, value);
    return value;
  };
  const names = [...byName.keys()].sort((a, b) => a.localeCompare(b));
  const rows = new Map<number, number>();
  const nodes = names.map((name) => {
    const layer = depthOf(name);
    const row = rows.get(layer) ?? 0;
    rows.set(layer, row + 1);
    return { name, type: byName.get(name)!.type, layer, row };
  });
  return { nodes, edges };
}

/**
 * A deployment's resources and their references as inline SVG, drawn on the
 * server (no script, no style attribute: the CSP allows neither). Each arrow
 * goes from the resource whose field names another to the one it names.
 * Every label is escaped by `html`; long names are cut and kept whole in the
 * node's title.
 */
export function referenceGraph(resources: readonly GraphResource[], typeOf: (type: string) => Pick<ResourceType, 'schema'> | undefined): SafeHtml {
  if (resources.length === 0) return html``;
  const { nodes, edges } = layoutGraph(resources, typeOf);
  const layers = Math.max(...nodes.map((node) => node.layer)) + 1;
  const rows = Math.max(...nodes.map((node) => node.row)) + 1;
  const width = MARGIN * 2 + layers * NODE_WIDTH + (layers - 1) * LAYER_GAP;
  const height = MARGIN * 2 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const at = new Map(nodes.map((node) => [node.name, { x: MARGIN + node.layer * (NODE_WIDTH + LAYER_GAP), y: MARGIN + node.row * (NODE_HEIGHT + ROW_GAP) }]));
  const arrows = edges.map((edge) => {
    const from = at.get(edge.from)!;
    const to = at.get(edge.to)!;
    // Out of the referrer's left side, into the referred resource's right side.
    const x1 = from.x;
    const y1 = from.y + NODE_HEIGHT / 2;
    const x2 = to.x + NODE_WIDTH + 4;
    const y2 = to.y + NODE_HEIGHT / 2;
    const bend = Math.max(30, (x1 - x2) / 2);
    return html`<path class="edge" data-from="${edge.from}" data-to="${edge.to}" d="M${x1},${y1} C${x1 - bend},${y1} ${x2 + bend},${y2} ${x2},${y2}" marker-end="url(#ref-arrow)"><title>${`${edge.from}.${edge.field} → ${edge.to}`}</title></path>`;
  });
  const boxes = nodes.map((node) => {
    const { x, y } = at.get(node.name)!;
    return html`<g class="node" data-resource="${node.name}" data-layer="${node.layer}"><title>${`${node.name} (${node.type})`}</title><rect x="${x}" y="${y}" width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="5"></rect><text x="${x + 10}" y="${y + 19}" class="name">${cut(node.name)}</text><text x="${x + 10}" y="${y + 36}" class="type">${cut(node.type)}</text></g>`;
  });
  const label = `${nodes.length} resource${nodes.length === 1 ? '' : 's'}, ${edges.length} reference${edges.length === 1 ? '' : 's'}`;
  return html`<figure class="ref-graph" id="graph"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${`Resources and their references: ${label}`}">
<defs><marker id="ref-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"></path></marker></defs>
${arrows}${boxes}</svg><figcaption class="muted">${label}; an arrow points from a resource to the one its configuration names.</figcaption></figure>`;
}

function cut(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}
