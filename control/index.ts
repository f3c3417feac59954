/** Public surface of the control plane for the gateway and tools. */
export { attachControlPlane, createControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.ts';
export { loadControlConfig, ControlConfigError } from './config.ts';
