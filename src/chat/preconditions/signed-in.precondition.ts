import { USER_ID, requirePattern } from '../../kernel/validation.js';
import { resultOf, type Precondition } from './precondition.js';

/** The person asking has a valid user id (not empty, not one the engine acts under itself); refused as INVALID_INPUT on userId. */
export const signedIn: Precondition = {
  name: 'signedIn',
  // The kernel's own check, so the refusal reads as the kernel's would.
  run: ({ userId }) => resultOf(() => requirePattern(userId, USER_ID, 'userId', 'a user id of 1-64 letters, digits and ._@:-')),
};
