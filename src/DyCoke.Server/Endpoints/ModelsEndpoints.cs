// GET /v1/models and GET /v1/models/{id}: the one served model as a model card.
using DyCoke.Server.Contracts;
using DyCoke.Server.Hosting;
using DyCoke.Server.Mapping;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DyCoke.Server.Endpoints;

internal static class ModelsEndpoints
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", ListModels);
        app.MapGet("/v1/models/{id}", GetModel);
        return app;
    }

    private static JsonHttpResult<ModelList> ListModels(ServedModel model) =>
        TypedResults.Json(new ModelList([Card(model)]), ServerJsonContext.Default.ModelList);

    private static async Task GetModel(HttpContext context, string id, ServedModel model)
    {
        if (id != model.Name)
        {
            await ErrorResults.WriteAsync(context, new ApiException(404, $"The model `{id}` does not exist.", "model", "model_not_found")).ConfigureAwait(false);
            return;
        }
        await TypedResults.Json(new ModelList([Card(model)]).Data[0], ServerJsonContext.Default.ModelCard).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static ModelCard Card(ServedModel model) => new(model.Name, model.Created, model.Directory, model.Engine.MaxModelLength, model.Description);
}
