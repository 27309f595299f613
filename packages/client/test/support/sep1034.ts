/**
 * The requested schema of the conformance suite's SEP-1034 scenario: every field optional, every
 * field with a default.
 */
export const SEP_1034 = {
  type: "object",
  properties: {
    name: { type: "string", description: "User name", default: "John Doe" },
    age: { type: "integer", description: "User age", default: 30 },
    score: { type: "number", description: "User score", default: 95.5 },
    status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
    verified: { type: "boolean", description: "Verification status", default: true }
  },
  required: []
} as const
