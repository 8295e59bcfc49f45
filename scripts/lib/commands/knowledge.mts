/**
 * `gatehouse knowledge import DIR`: every Markdown and text file under DIR (`.md`, `.markdown`, `.txt`) into the
 * knowledge base of one workspace (or the organization's, `--global`), as add_knowledge_document stores them: the
 * file's first `# ` heading (else its name) as title, its path relative to DIR as external id, so importing the
 * folder again replaces each document instead of adding a copy. Files over the 1 MB limit are skipped and listed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { CliError, usageError } from '../cli-error.mts';
import { optionalString, requireSlug, requireString, type OptionValues } from '../cli-input.mts';
import { table, type CommandResult } from '../output.mts';
import { requireOrganization } from '../tenant-lookup.mts';
import {
  MAX_KNOWLEDGE_DOCUMENT_BYTES,
  chunkKnowledgeText,
  findWorkspace,
  upsertKnowledgeDocument,
  type Db,
} from '../workspace-packages.mts';

const EXTENSIONS = new Set(['.md', '.markdown', '.txt']);
/** Who the CLI's documents are created and updated by (no user: the database owner ran it). */
const CLI_USER = 'admin-cli';

/** Validated input of `knowledge import DIR --org S (--workspace SLUG | --global) [--tags a,b]`. */
export function parseKnowledgeImport(values: OptionValues) {
  const workspace = optionalString(values, 'workspace');
  const global = values.global === true;
  if (global === (workspace !== undefined)) throw usageError('pass either --workspace SLUG or --global');
  const tags = (optionalString(values, 'tags') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return { dir: requireString(values, 'dir'), org: requireSlug(values, 'org'), workspace, tags };
}

/** Files under `dir` with a knowledge extension, sorted, recursively. */
async function knowledgeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => {
    throw new CliError(`cannot read the folder ${dir}`);
  });
  return entries
    .filter((e) => e.isFile() && EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** `knowledge import`: one upsert per file; a line per file (or JSON with --json). */
export async function knowledgeImport(db: Db, input: ReturnType<typeof parseKnowledgeImport>): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const tenant = { organizationId: org.id };
  let workspaceId: string | null = null;
  if (input.workspace !== undefined) {
    const ws = await findWorkspace(db, tenant, input.workspace);
    if (!ws) throw new CliError(`no workspace "${input.workspace}" in organization "${org.slug}"`);
    workspaceId = ws.id;
  }
  const rows: { path: string; status: 'added' | 'replaced' | 'skipped'; chunks: number; note: string }[] = [];
  for (const file of await knowledgeFiles(input.dir)) {
    const path = relative(input.dir, file).split(sep).join('/');
    const text = await readFile(file, 'utf8');
    const bytes = Buffer.byteLength(text);
    const chunks = chunkKnowledgeText(text);
    if (bytes > MAX_KNOWLEDGE_DOCUMENT_BYTES || chunks.length === 0) {
      const note =
        bytes > MAX_KNOWLEDGE_DOCUMENT_BYTES ? `${bytes} bytes; the limit is ${MAX_KNOWLEDGE_DOCUMENT_BYTES}` : 'empty';
      rows.push({ path, status: 'skipped', chunks: 0, note });
      continue;
    }
    const title = /^#\s+(.+?)\s*#*\s*$/m.exec(text)?.[1] ?? basename(file, extname(file));
    const { replaced } = await upsertKnowledgeDocument(db, tenant, {
      workspaceId,
      title,
      text,
      sourceUrl: null,
      tags: input.tags,
      externalId: path,
      chunks,
      userId: CLI_USER,
    });
    rows.push({ path, status: replaced ? 'replaced' : 'added', chunks: chunks.length, note: title });
  }
  return { json: rows, text: rows.length ? table(rows, ['path', 'status', 'chunks', 'note']) : 'no files to import' };
}
