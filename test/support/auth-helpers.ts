export { bearer } from '@riser/testing';
export { hashApiKey } from '@riser/auth';
