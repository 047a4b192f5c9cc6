// Entry point: `main` only calls the wiring function (docs/style.md rule 2).
import { run } from './run.js';

void run();
