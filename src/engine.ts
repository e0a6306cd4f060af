import { loadConfig, type KernelOptions } from './kernel/config/engine-config.js';
import { createKernel as createBareKernel, type Kernel } from './kernel/kernel.js';
import type { Plugin } from './kernel/plugin/define-plugin.js';
import { loadPluginModule } from './kernel/plugin/plugin-loader.js';
import { builtinPlugins } from './plugins/builtin-plugins.js';
import { costPlugin } from './plugins/cost/cost.plugin.js';

/**
 * Starts Cloud Engine: the composition root. Validates the configuration,
 * then hands the kernel its plugins in order — the built-ins (unless
 * `builtinPlugins: false`), `extraPlugins`, then the modules named in
 * `plugins` / CLOUD_ENGINE_PLUGINS.
 */
export async function createKernel(options: KernelOptions = {}): Promise<Kernel> {
  const { extraPlugins = [], builtinPlugins: withBuiltins, priceBook, ...kernelOptions } = options;
  // Validated before any plugin module is imported, so a bad value fails first and alone.
  const config = loadConfig(kernelOptions);
  const plugins: Plugin[] = [...(withBuiltins === false ? [] : builtinPlugins), ...extraPlugins];
  for (const specifier of config.plugins) plugins.push(...(await loadPluginModule(specifier)));
  // `priceBook` predates plugin configuration; it is the cost plugin's, and pluginConfig.cost wins over it.
  const pluginConfig =
    priceBook === undefined || !plugins.some((plugin) => plugin.id === costPlugin.id)
      ? kernelOptions.pluginConfig
      : { ...kernelOptions.pluginConfig, [costPlugin.id]: { priceBook, ...kernelOptions.pluginConfig?.[costPlugin.id] } };
  return createBareKernel({ ...kernelOptions, pluginConfig }, plugins);
}
