/**
 * `@riser/auth/dev`: what the token CLI and the config loader need, without Nest, Passport
 * or the JWKS client behind the main entry point (importing those cost ~420 ms, most of
 * `npm run token`'s time).
 */
export { hashApiKey } from './api-key-hash.js';
export { loadOrCreateDevSecret } from './dev-secret.js';
export { mintToken, type MintOptions } from './token-minter.js';
