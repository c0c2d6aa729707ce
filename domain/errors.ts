/**
 * Errors that services and stores throw to say why an operation cannot be done. They know nothing of
 * HTTP: the API's error handler maps each to its problem+json status (api/problem.ts), an activity
 * to a retryable or non-retryable failure. A plain DomainError is a request that cannot be understood (400).
 */

/** One field that is wrong, named as the caller wrote it (`query.cursor`, `dateOfBirth`). */
export interface FieldProblem {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist (or the caller may not know that it does). */
export class NotFoundError extends DomainError {}

/** The thing exists but its state does not allow the operation (already deleted, a running import…). */
export class ConflictError extends DomainError {}

/** The input breaks a rule; `fields` names what is wrong. */
export class InvalidInputError extends DomainError {}

/** The caller could not be identified (a wrong password, a bad credential). */
export class UnauthenticatedError extends DomainError {}

/** The thing existed but is gone for good (a used or expired invitation). */
export class GoneError extends DomainError {}

/** The caller is known but not allowed to do this. */
export class ForbiddenError extends DomainError {}

/** A dependency is down or busy; the same call may succeed later. */
export class UnavailableError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
