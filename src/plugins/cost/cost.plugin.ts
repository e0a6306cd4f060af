import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { definePlugin } from '../../kernel/plugin/define-plugin.js';
import builtinBook from './price-book.json' with { type: 'json' };
import { createPriceTableEstimator, parsePriceBook, type PriceBook } from './price-table.estimator.js';

const FIX = 'Point CLOUD_ENGINE_PRICE_BOOK (or the priceBook option) at a readable JSON price book, or unset it to use the built-in prices.';

/** The built-in price book, or the JSON file at `file` in its place; either is validated first. */
export async function loadPriceBook(file?: string): Promise<PriceBook> {
  if (file === undefined) return parsePriceBook(builtinBook, 'src/plugins/cost/price-book.json (built in)');
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new CloudEngineError(ErrorCode.CONFIG_INVALID, `Cannot read the price book ${absolute}: ${(error as Error).message}. ${FIX}`, {
      field: 'priceBook',
      value: file,
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CloudEngineError(ErrorCode.CONFIG_INVALID, `Price book ${absolute} is not valid JSON: ${(error as Error).message}. ${FIX}`, {
      field: 'priceBook',
      value: file,
      cause: error,
    });
  }
  return parsePriceBook(raw, absolute);
}

/** The built-in price-table cost estimator, priced from an offline price book. */
export const costPlugin = definePlugin({
  id: 'cost',
  async register(ctx) {
    const file = ctx.config.priceBook;
    if (file !== undefined && typeof file !== 'string') {
      throw new CloudEngineError(ErrorCode.CONFIG_INVALID, `priceBook must be a file path, got ${typeof file}. ${FIX}`, { field: 'priceBook' });
    }
    // Read once at start: a price book edited while running should not change a plan's figures mid-session.
    ctx.addCostEstimator(createPriceTableEstimator(await loadPriceBook(file)));
  },
});

export default costPlugin;
