/** Public surface of the control plane for the gateway and tools. */
export { controlPlaneHttp, createControlPlane, type ControlPlane, type ControlPlaneHttp, type ControlPlaneOptions } from './control-plane.ts';
export { loadControlConfig, ControlConfigError } from './config.ts';
export { promRegistrySource, type MetricsSource, type MetricsSnapshot } from './monitor/metrics-source.ts';
export { AT_WHITELIST, type GsmControl, type GsmStatus } from './gsm/gsm-control.ts';
export { espeakCatalog, type TtsCatalog, type TtsVoice } from './tts/tts-catalog.ts';
