import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
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

/** The cost plugin's configuration: `priceBook` (CLOUD_ENGINE_PRICE_BOOK), a JSON price book to use instead of the built-in one. */
export const costConfigSchema = z.object({
  priceBook: z.string({ error: 'priceBook must be the path of a JSON price book' }).min(1, 'priceBook must be the path of a JSON price book').optional(),
});

/** The built-in price-table cost estimator, priced from an offline price book. */
export const costPlugin = definePlugin({
  id: 'cost',
  config: { schema: costConfigSchema, env: { priceBook: 'CLOUD_ENGINE_PRICE_BOOK' } },
  async register(ctx) {
    // Read once at start: a price book edited while running should not change a plan's figures mid-session.
    ctx.addCostEstimator(createPriceTableEstimator(await loadPriceBook(ctx.config.priceBook)));
  },
});

export default costPlugin;
