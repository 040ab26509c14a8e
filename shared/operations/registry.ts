import type { CommandType } from '../commands';
import { gpuAutoscalingSet } from './gpu-autoscaling-set';
import { gpuScale } from './gpu-scale';
import type { BasePlan, OperationModule } from './operation';

/** Every catalog command type has exactly one operation; the mapped type makes a missing one a compile error. */
type OperationRegistry = { [T in CommandType]: OperationModule<T, unknown, BasePlan> };

const OPERATIONS: OperationRegistry = {
  'gpu.scale': gpuScale as OperationModule<'gpu.scale', unknown, BasePlan>,
  'gpu.autoscaling.set': gpuAutoscalingSet as OperationModule<'gpu.autoscaling.set', unknown, BasePlan>,
};

export type { OperationRegistry };
export { OPERATIONS };
