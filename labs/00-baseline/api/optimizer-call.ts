// The upload route's one way to reach the optimizer: requestOptimize with the optimizer's
// address bound. The route is given this function, so a lab that guards the call (lab 06's
// circuit breaker) wraps it in a module of its own and changes one line in app.ts.
import { requestOptimize } from '../lib/optimizer-client.ts';

/** requestOptimize without its first argument: (image, params, options…) → outcome. */
export type OptimizeCall = typeof requestOptimize extends (optimizerUrl: string, ...rest: infer Args) => infer Result ? (...args: Args) => Result : never;

export function optimizerCall(optimizerUrl: string): OptimizeCall {
  return (...args) => requestOptimize(optimizerUrl, ...args);
}
