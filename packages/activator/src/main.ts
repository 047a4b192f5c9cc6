// Entry point: `main` only calls the wiring function (house rule 2).
import { run } from './run.js';

void run();
