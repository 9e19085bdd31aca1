// Source-generated JSON for benchmark reports: reflection-free, so it survives trimming in the GPU harness.
using System.Text.Json.Serialization;

namespace DyCoke.Bench;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GemmBench.Report))]
[JsonSerializable(typeof(ModelBench.Report), TypeInfoPropertyName = "ModelReport")]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
