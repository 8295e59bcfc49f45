#!/usr/bin/env node
// $BROWSER for mcp-remote in the end-to-end tests: xdg-open (generic mode) runs `$BROWSER <url>`. Signs in and
// approves like a person would, then loads the redirect, which delivers the code to mcp-remote's local callback.
import { approveInBrowser } from './browser-agent.mjs';

const url = process.argv[2];
const email = process.env.GATEHOUSE_E2E_EMAIL;
const password = process.env.GATEHOUSE_E2E_PASSWORD;
if (!url || !email || !password) {
  console.error('fake-browser: need a URL argument and GATEHOUSE_E2E_EMAIL / GATEHOUSE_E2E_PASSWORD');
  process.exit(2);
}
const location = await approveInBrowser(url, email, password);
const callback = await fetch(location);
process.exit(callback.ok ? 0 : 1);
