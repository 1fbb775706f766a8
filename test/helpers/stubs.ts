/**
 * A Durable Object namespace whose stubs hand every RPC call to `around` (with the object's name,
 * the method, its arguments and the real call): a fault or a probe in one test's binding, never
 * in product code. The objects themselves are the real ones.
 */
export function aroundStubs<N extends { getByName(name: string): object }>(
  ns: N,
  around: (call: { name: string; method: string; args: unknown[]; real: () => unknown }) => unknown,
): N {
  return {
    getByName(name: string) {
      const stub = ns.getByName(name);
      return new Proxy(stub, {
        get(target, method: string) {
          const f = Reflect.get(target, method);
          if (typeof f !== "function") return f;
          return (...args: unknown[]) =>
            around({ name, method, args, real: () => Reflect.apply(f, target, args) });
        },
      });
    },
  } as unknown as N;
}
