export { runLoadtest, type LoadtestOptions, type LoadtestReport, type LoadtestTarget } from './loadtest.js';
export { formatReport } from './report.js';
