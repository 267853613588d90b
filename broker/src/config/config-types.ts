/**
 * Typed parsing of Kafka-style property values. A bad value is a `ConfigError` naming the
 * property, so start-up can print one clear line and exit non-zero.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(`Invalid value for ${property}: ${message}`);
  }
}

export type ConfigType = 'int' | 'long' | 'short' | 'double' | 'boolean' | 'string' | 'list' | 'password' | 'class';

/** Java's Long.MAX_VALUE as Kafka writes it in defaults; we clamp to the largest safe integer. */
export const LONG_MAX_STRING = '9223372036854775807';

export function parseTypedValue(property: string, type: ConfigType, raw: string): number | boolean | string | string[] {
  const text = raw.trim();
  switch (type) {
    case 'int':
    case 'short':
    case 'long': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(property, `'${raw}' is not an integer`);
      if (type === 'long' && (text === LONG_MAX_STRING || BigInt(text) > BigInt(Number.MAX_SAFE_INTEGER))) {
        return Number.MAX_SAFE_INTEGER;
      }
      const value = Number(text);
      const [min, max] =
        type === 'int'
          ? [-(2 ** 31), 2 ** 31 - 1]
          : type === 'short'
            ? [-32768, 32767]
            : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (value < min || value > max) throw new ConfigError(property, `'${raw}' is out of range for a ${type}`);
      return value;
    }
    case 'double': {
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) throw new ConfigError(property, `'${raw}' is not a number`);
      return value;
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new ConfigError(property, `'${raw}' is not true or false`);
      return lower === 'true';
    }
    case 'list':
      return text === '' ? [] : text.split(',').map((item) => item.trim());
    default:
      return raw;
  }
}

/** Parses Java .properties text (the subset Kafka's files use: key=value or key: value, # and ! comments, line continuations). */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index]!.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && index + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++index]!.trimStart();
    }
    const match = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match) properties.set(match[1]!.replace(/\\(.)/g, '$1'), match[2]!.trimEnd());
    else properties.set(line.trim(), '');
  }
  return properties;
}
