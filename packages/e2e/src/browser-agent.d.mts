/** Signs in on the authorization URL, approves every offered scope, and returns the redirect to the client. */
export function approveInBrowser(authorizationUrl: string, email: string, password: string): Promise<string>;
