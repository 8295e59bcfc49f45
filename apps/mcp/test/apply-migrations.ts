import { applyD1Migrations, env } from 'cloudflare:test';

// Setup files run before each test file; applyD1Migrations skips migrations already applied.
await applyD1Migrations(env.AUTH_DB, env.TEST_MIGRATIONS);

// Vendor credential checks and any stray outbound request (see vendor-fakes.ts).
const { installVendorFakes } = await import('./vendor-fakes.js');
installVendorFakes();
