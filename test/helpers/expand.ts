// Stash's ${VAR:=default} expansion (stash-contract §1.3): the default applies only when the key is
// absent; a present-but-empty key yields an empty value. ${VAR} with no default requires the key.
export function expandStash(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}/g,
    (_m, name: string, op?: string, def?: string) => {
      if (Object.hasOwn(vars, name)) return vars[name] ?? '';
      if (op !== undefined) return def ?? '';
      throw new Error(`input/default value not found for key ${name}`);
    },
  );
}
