/**
 * Why a credential was refused, as a bounded label value, from the safe messages
 * libs/auth gives its refusals (it has one code, `unauthorized`, for all of them).
 */
export type RefusalReason = 'missing' | 'expired' | 'not_yet_valid' | 'invalid_api_key' | 'invalid';

export function refusalReason(message: string | undefined): RefusalReason {
  if (!message) return 'invalid';
  if (/missing/i.test(message)) return 'missing';
  if (/expired/i.test(message)) return 'expired';
  if (/not yet valid/i.test(message)) return 'not_yet_valid';
  if (/API key/i.test(message)) return 'invalid_api_key';
  return 'invalid';
}
