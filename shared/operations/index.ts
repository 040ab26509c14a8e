export * from './gpu/gpu-autoscaling-set';
export * from './gpu/gpu-pool';
export * from './gpu/gpu-scale';
export * from './gpu/gpu-workloads';
export * from './operation';
export * from './registry';
export * from './steps';
