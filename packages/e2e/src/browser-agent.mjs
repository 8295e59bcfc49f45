// A stand-in for a person in a browser on Gatehouse's /authorize pages: follows the sign-in form (CSRF cookie and
// field), signs in, approves every scope the consent page offers, and returns the redirect back to the client.
// Used by the OAuth end-to-end tests directly and, through fake-browser.mjs, as $BROWSER for mcp-remote.

/** @param {string} html @param {string} name */
function field(html, name) {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field on the page:\n${html.slice(0, 800)}`);
  return m[1].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
}

/**
 * Signs in on the authorization URL and approves. Returns the Location the server redirects the browser to
 * (the client's redirect URI with code and state).
 * @param {string} authorizationUrl @param {string} email @param {string} password
 */
export async function approveInBrowser(authorizationUrl, email, password) {
  const cookies = new Map();
  const take = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = (body) => ({
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

  const signInPage = await fetch(authorizationUrl, { redirect: 'manual' });
  if (signInPage.status !== 200) throw new Error(`authorize answered ${signInPage.status}: ${await signInPage.text()}`);
  take(signInPage);
  const signIn = await fetch(
    authorizationUrl,
    form(new URLSearchParams({ step: 'signin', csrf: field(await signInPage.text(), 'csrf'), email, password })),
  );
  if (signIn.status !== 303) throw new Error(`sign-in answered ${signIn.status}`);
  take(signIn);
  const consentPage = await fetch(authorizationUrl, { redirect: 'manual', headers: { cookie: cookie() } });
  take(consentPage);
  const html = await consentPage.text();
  const approval = new URLSearchParams({ handle: field(html, 'handle'), decision: 'approve' });
  for (const m of html.matchAll(/name="scope" value="([^"]*)"/g)) approval.append('scope', m[1]);
  const approved = await fetch(authorizationUrl, form(approval));
  const location = approved.headers.get('location');
  if (approved.status !== 302 || !location) throw new Error(`consent answered ${approved.status}`);
  return location;
}
