// DyCoke.Bench entry point: dispatches the first argument (a verb) to one benchmark. Each verb lives in its own file.
using DyCoke.Bench;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: DyCoke.Bench <verb> [options]");
    Console.WriteLine("verbs:");
    Console.WriteLine("  gemm [--threads N] [--reps N] [--json PATH]   CPU Linear: managed kernel vs OpenBLAS vs PyTorch");
    Console.WriteLine("  attention [--threads 1] [--seconds-ms 500] [--d 16|64|128]");
    Console.WriteLine("                                                CPU decode attention: ns per (slot, kv head) at D 16/64/128");
    Console.WriteLine("  gemm --shapes decode [--threads 1] [--reps N] decode-step shapes (M = 1, 16) of the demo model and 0.5B");
    Console.WriteLine("  selftest                                      every op on CUDA vs the CPU backend (exit 3: no GPU)");
    Console.WriteLine("  gpu                                           GPU micro-benchmarks against measured ceilings");
    Console.WriteLine("  kernels [--arch sm_90]                        compile every embedded CUDA kernel with NVRTC (no GPU needed)");
    Console.WriteLine("  tokenizer [--mb N] [--json PATH]              Qwen2 BPE encode throughput vs the JS and Rust (npm) tokenizers");
    Console.WriteLine("  media [--clip PATH] [--reps N]                32 frames of a 1080p clip: our loader vs plain ffmpeg");
    Console.WriteLine("  dycoke --model DIR [--device D] [--frames 32] [--steps 8] [--mode paper|reference]");
    Console.WriteLine("                                                prefill and decode with DyCoke off / TTM / TTM+DP");
    Console.WriteLine("  model [--threads N] [--reps N] [--long-reps N] [--checkpoint DIR] [--json PATH]");
    Console.WriteLine("                                                0.5B prefill/decode and a SigLIP frame vs PyTorch CPU");
    Console.WriteLine("  engine [--model DIR] [--concurrency 1,4,16] [--frames 4] [--max-tokens 64] [--temperature 0] [--dycoke on|off] [--reps 5] [--json PATH]");
    Console.WriteLine("                                                decode scaling and engine overhead of the continuous-batching engine");
    Console.WriteLine("  simd [--threads N] [--ms 200] [--reps 9]        vector FMA throughput of 1..N threads: what a second core adds here");
    Console.WriteLine("  decisions [--streams 16] [--frames 4,32] [--reps 400]");
    Console.WriteLine("                                                host cost of DyCoke's per-step decisions, one vs two threads");
    return args.Length == 0 ? 2 : 0;
}

string[] rest = args[1..];
try
{
    return args[0] switch
    {
        "gemm" => GemmBench.Run(rest),
        "simd" => SimdBench.Run(rest),
        "attention" => AttentionBench.Run(rest),
        "selftest" => DyCoke.Tensors.Diagnostics.CudaSelfTest.Run(Console.Out),
        "gpu" => GpuBench.Run(Console.Out),
        "kernels" => KernelsVerb.Run(rest, Console.Out),
        "tokenizer" => TokenizerBench.Run(rest),
        "media" => MediaBench.Run(rest),
        "dycoke" => DyCokeBench.Run(rest),
        "model" => ModelBench.Run(rest),
        "engine" => EngineBench.Run(rest),
        "decisions" => DecisionsBench.Run(rest),
        _ => Unknown(args[0]),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int Unknown(string verb)
{
    Console.Error.WriteLine($"unknown verb '{verb}' (try --help)");
    return 2;
}
