/** The PKCE S256 transform (RFC 7636 §4.2) the vendor fakes check code verifiers with. */
import { createHash } from 'node:crypto';

export const pkceS256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');
