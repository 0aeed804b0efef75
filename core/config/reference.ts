/**
 * Reference documentation generated from a configuration's JSON Schema, so that it is never written
 * twice: one Markdown row per key (path, type, default, description). Keys that several discriminated
 * branches share (source or parser types) appear once, with the types that have them.
 */

interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  oneOf?: readonly SchemaNode[];
  anyOf?: readonly SchemaNode[];
}

export function configReferenceMarkdown(schema: object): string {
  interface Row { key: string; type: string; dflt: string; description: string; only: string[] }
  const rows = new Map<string, Row>();
  const typeOf = (n: SchemaNode): string => {
    if (n.enum) return n.enum.map((v) => String(v)).join(' | ');
    if (n.const !== undefined) return JSON.stringify(n.const);
    if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'any'}`;
    if (n.type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object' && !n.properties) return 'map';
    if (n.anyOf && n.type === undefined) return n.anyOf.map(typeOf).join(' or ');
    return String(n.type ?? (n.oneOf ? 'object' : 'any'));
  };
  const walk = (node: SchemaNode, path: string, only?: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (key === 'type' && node.oneOf) continue;
      const p = path === '' ? key : `${path}.${key}`;
      const d = child.default;
      const dflt = d === undefined || (typeof d === 'object' && d !== null && !Array.isArray(d) && Object.keys(d).length === 0) ? '' : JSON.stringify(d);
      const id = `${p}\u0000${child.description ?? ''}`;
      const row = rows.get(id);
      if (row) {
        if (only !== undefined && !row.only.includes(only)) row.only.push(only);
      } else {
        rows.set(id, { key: p, type: typeOf(child), dflt, description: child.description ?? '', only: only !== undefined ? [only] : [] });
      }
      walk(child, p, only);
      if (typeof child.additionalProperties === 'object' && child.additionalProperties.oneOf) walk(child.additionalProperties, `${p}.<name>`);
      if (typeof child.additionalProperties === 'object' && child.additionalProperties.properties) walk(child.additionalProperties, `${p}.<name>`);
      if (child.type === 'array' && child.items?.properties) walk(child.items, `${p}[]`);
    }
    for (const branch of node.oneOf ?? []) {
      const tag = branch.properties?.type?.const;
      if (tag === undefined) continue;
      const name = String(tag);
      rows.set(`${path}.type=${name}`, { key: `${path}.type`, type: JSON.stringify(name), dflt: '', description: branch.properties?.type?.description ?? '', only: [] });
      walk({ properties: Object.fromEntries(Object.entries(branch.properties ?? {}).filter(([k]) => k !== 'type')) }, path, name);
    }
  };
  walk(schema as SchemaNode, '');
  const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const r of rows.values()) {
    const scope = r.only.length > 0 ? ` (type ${r.only.join(', ')})` : '';
    lines.push(`| \`${r.key}\`${scope} | ${cell(r.type)} | ${r.dflt ? `\`${cell(r.dflt)}\`` : ''} | ${cell(r.description)} |`);
  }
  return lines.join('\n') + '\n';
}
