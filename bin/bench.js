#!/usr/bin/env node
// `npm run bench`: the load benchmark (bench/run.ts), through tsx's loader like the `tolem` command.
import { register } from 'tsx/esm/api';

register();
await import('../bench/run.ts');
