import { defineConfig } from "prisma/config";

// `env("DATABASE_URL")` throws when the variable is unset, which would break
// `prisma generate` on machines (and CI) that have no database configured.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "" },
});
