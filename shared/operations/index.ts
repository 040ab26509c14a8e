export * from './gpu-autoscaling-set';
export * from './gpu-pool';
export * from './gpu-scale';
export * from './operation';
export * from './registry';
