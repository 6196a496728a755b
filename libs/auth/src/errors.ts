/** Why a credential was refused. The message is safe to show; it never echoes the token. */
export class AuthError extends Error {
  readonly code = 'unauthorized';
  constructor(message: string) {
    super(message);
  }
}
