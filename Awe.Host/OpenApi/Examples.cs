using System.Text.Json.Nodes;

namespace Awe.Host.OpenApi;

/// <summary>The seed's smoke test bodies (README), shown as the examples of their operations.</summary>
internal static class Examples
{
    public static JsonNode Policy => JsonNode.Parse("""
        {
          "policy_key": "demo.v1", "name": "Demo approval", "artifact_type": "demo.artifact",
          "stages": [{"name": "Demo stage", "stage_order": 1, "mode": "any-n", "mode_value": 1,
                      "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]}]
        }
        """)!;

    public static JsonNode CreateRequest => JsonNode.Parse("""
        {"policy_key": "demo.v1", "artifact_type": "demo.artifact", "artifact_id": "demo-1", "context": {}}
        """)!;

    public static JsonNode Decision => JsonNode.Parse("""{"action": "approve"}""")!;
}
