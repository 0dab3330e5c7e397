// `--name value` from the command line, or `def` when absent (the benchmark scripts' options).
export const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
