/** Cloud Engine's testing kit for plugin authors: `cloud-engine/testing`. */
export { synthResource, synthSession, type SynthSessionInput, type TerraformJson, type TestProject, type TestResource } from './synth.js';
export { startTestKernel, TEST_ADMIN, type TestKernel, type TestKernelOptions } from './test-kernel.js';
