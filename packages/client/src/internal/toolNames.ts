/**
 * Qualified names `server__tool` (and `server__resource`, `server__prompt`): at most 64
 * characters of `[A-Za-z0-9_-]` (what model APIs accept as a function name), unique across every
 * server even when shortened. Each kind is qualified on its own: a tool and a prompt of one name
 * may share a qualified name.
 */

/** @internal */
export const MAX_QUALIFIED_LENGTH = 64

const sanitize = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, "_")

/** FNV-1a, 32 bits, in base 36: a short, stable fingerprint of the full pair. */
const fingerprint = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(36).padStart(7, "0")
}

const fit = (name: string, suffix: string): string => name.slice(0, MAX_QUALIFIED_LENGTH - suffix.length) + suffix

/**
 * Qualifies every `(server, tool)` pair, in order. A name too long is cut and given a fingerprint
 * of the full pair; any name still taken (after sanitizing or cutting) gets `_2`, `_3`, … in the
 * order given, so the result is deterministic.
 *
 * @internal
 */
export const qualify = (pairs: ReadonlyArray<{ readonly server: string; readonly tool: string }>): Array<string> => {
  const used = new Set<string>()
  return pairs.map(({ server, tool }) => {
    const full = `${sanitize(server)}__${sanitize(tool)}`
    const name = full.length <= MAX_QUALIFIED_LENGTH ? full : fit(full, `_${fingerprint(`${server}\u0000${tool}`)}`)
    let candidate = name
    for (let n = 2; used.has(candidate); n++) candidate = fit(name, `_${n}`)
    used.add(candidate)
    return candidate
  })
}
