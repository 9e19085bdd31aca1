// PLACEHOLDER (skeleton): replaced by the GEMM benchmark.
return 0;
