import type { z } from 'zod';

type Def = { typeName: string; [k: string]: unknown };
const defOf = (s: z.ZodTypeAny) => s._def as Def;

/** A value the schema accepts, built from the schema itself (the smallest of each kind). */
export function schemaExample(s: z.ZodTypeAny): unknown {
  const d = defOf(s);
  switch (d.typeName) {
    case 'ZodObject': {
      const shape = (s as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>;
      return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, schemaExample(v)]));
    }
    case 'ZodString': {
      const min = (d.checks as { kind: string; value?: number }[]).find((c) => c.kind === 'min')?.value ?? 1;
      return 'a'.repeat(Math.max(1, min));
    }
    case 'ZodNumber': {
      const checks = d.checks as { kind: string; value: number; inclusive?: boolean }[];
      const min = checks.find((c) => c.kind === 'min');
      const max = checks.find((c) => c.kind === 'max');
      const int = checks.some((c) => c.kind === 'int');
      // Inside both bounds (an open interval such as a false-accept rate in (0, 1) has no integer).
      if (min && max) return int ? Math.ceil((min.value + max.value) / 2) : (min.value + max.value) / 2;
      if (min) return min.value + (min.inclusive ? 0 : 1);
      if (max) return max.inclusive ? max.value : max.value - 1;
      return 1;
    }
    case 'ZodBoolean':
      return true;
    case 'ZodEnum':
      return (d.values as string[])[0];
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      return schemaExample(d.innerType as z.ZodTypeAny);
    case 'ZodArray':
      return [schemaExample(d.type as z.ZodTypeAny)];
    case 'ZodEffects':
      return ['2024-01-01T00:00:00Z', schemaExample(d.schema as z.ZodTypeAny)].find(
        (c) => s.safeParse(c).success,
      );
    default:
      return 1;
  }
}
