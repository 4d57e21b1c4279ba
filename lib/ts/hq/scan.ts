// Find the services in a headquarters snapshot: every directory holding an
// `orders` file is one service, mounted at that directory's path.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { servicePathFor } from '../core/service-names.js';

export interface FoundService {
  path: string;        // HTTP path: "/", "/users"
  ordersFile: string;  // absolute path of the orders file
  ordersRel: string;   // HQ-relative, for messages: "users/orders"
}

/** Folders that are not services even if they hold a file named orders. */
const SKIP = new Set(['.git', 'authorized_keys', 'node_modules']);

export function scanHeadquarters(dir: string): FoundService[] {
  const found: FoundService[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIP.has(entry.name)) walk(join(current, entry.name));
      else if (entry.isFile() && entry.name === 'orders') {
        const rel = relative(dir, current);
        found.push({ path: servicePathFor(rel), ordersFile: join(current, 'orders'), ordersRel: rel ? `${rel}/orders` : 'orders' });
      }
    }
  };
  walk(dir);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}
