/**
 * The tenant every repository method takes. Nothing exported by the adapters reads across tenants: the
 * organization is always part of the key, and the workspace is where a row belongs to one.
 */
export interface OrgTenant {
  readonly organizationId: string;
}

/** A tenant narrowed to one workspace (the docs call workspaces "products"). */
export interface WorkspaceTenant extends OrgTenant {
  readonly workspaceId: string;
}
