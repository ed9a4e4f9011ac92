#!/usr/bin/env node
// `npm run chaos`: the reliability campaign (chaos/run.ts), through tsx's loader like the `tolem` command.
import { register } from 'tsx/esm/api';

register();
await import('../chaos/run.ts');
