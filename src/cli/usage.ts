// The error of a command line that cannot be run as given (exit status 2, no stack).

import { DescentError } from '../errors.js';

export class UsageError extends DescentError {
  override name = 'UsageError';
}
