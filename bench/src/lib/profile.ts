import { readFileSync } from 'node:fs';

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

const OURS = /\/bench\/\.build\/(src|test)\//;

function frameLabel(frame: { functionName: string; url: string; lineNumber: number }): string {
  const url = frame.url.replace(/.*node_modules\//, '').replace(/.*\/bench\/\.build\//, '');
  return `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber + 1}`;
}

/**
 * Long tasks in a CPU profile: runs of consecutive non-idle samples of at least
 * `minMs`, each named by the outermost frames of ours (or of a library) that took
 * most of it. These are the stretches in which the process could answer nothing.
 */
export function longTasks(file: string, minMs = 15): { tasks: number; busyMs: number; groups: Array<{ what: string; count: number; totalMs: number; maxMs: number }> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const idle = (id: number) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName);
  const describe = (id: number): string => {
    const stack: Profile['nodes'][number]['callFrame'][] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!.callFrame);
    const ours = stack.filter((frame) => OURS.test(frame.url));
    if (ours.length) return ours.slice(-3).reverse().map(frameLabel).join(' › ');
    const library = stack.filter((frame) => frame.url.includes('node_modules/'));
    if (library.length) return library.slice(-2).reverse().map(frameLabel).join(' › ');
    return frameLabel(stack[0]!);
  };
  const tasks: Array<{ ms: number; by: Map<string, number> }> = [];
  let current: { ms: number; by: Map<string, number> } | undefined;
  let busyMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    if (idle(id)) {
      if (current) tasks.push(current);
      current = undefined;
      continue;
    }
    busyMs += dt;
    current ??= { ms: 0, by: new Map() };
    current.ms += dt;
    const key = describe(id);
    current.by.set(key, (current.by.get(key) ?? 0) + dt);
  }
  if (current) tasks.push(current);
  const groups = new Map<string, { count: number; totalMs: number; maxMs: number }>();
  const long = tasks.filter((task) => task.ms >= minMs);
  for (const task of long) {
    const what = [...task.by].sort((a, b) => b[1] - a[1])[0]![0];
    const group = groups.get(what) ?? { count: 0, totalMs: 0, maxMs: 0 };
    group.count++;
    group.totalMs += task.ms;
    group.maxMs = Math.max(group.maxMs, task.ms);
    groups.set(what, group);
  }
  return {
    tasks: long.length,
    busyMs: Math.round(busyMs),
    groups: [...groups]
      .map(([what, group]) => ({ what, count: group.count, totalMs: Math.round(group.totalMs), maxMs: Math.round(group.maxMs) }))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, 15),
  };
}
