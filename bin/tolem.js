#!/usr/bin/env node
// The `tolem` command. TypeScript sources run through tsx's loader: no build step, no generated files to keep.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
