#!/usr/bin/env node
import { run } from './run.js';

void run();
