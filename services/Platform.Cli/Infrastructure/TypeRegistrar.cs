using Spectre.Console.Cli;

namespace Platform.Cli.Infrastructure;

/// <summary>
/// A minimal container for Spectre.Console.Cli: registered instances and types (the last registration wins, every
/// one for IEnumerable&lt;T&gt;), other classes built through their widest constructor.
/// </summary>
internal sealed class TypeRegistrar : ITypeRegistrar, ITypeResolver
{
    private readonly Dictionary<Type, List<Func<object>>> _factories = [];

    public void Register(Type service, Type implementation) => Add(service, () => Create(implementation));
    public void RegisterInstance(Type service, object implementation) => Add(service, () => implementation);
    public void RegisterLazy(Type service, Func<object> factory) => Add(service, factory);
    public ITypeResolver Build() => this;

    private void Add(Type service, Func<object> f)
    {
        if (!_factories.TryGetValue(service, out var list)) _factories[service] = list = [];
        list.Add(f);
    }

    public object? Resolve(Type? type)
    {
        if (type is null) return null;
        if (_factories.TryGetValue(type, out var fs)) return fs[^1]();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var item = type.GetGenericArguments()[0];
            var found = _factories.TryGetValue(item, out var all) ? all.Select(f => f()).ToArray() : [];
            var array = Array.CreateInstance(item, found.Length);
            for (int i = 0; i < found.Length; i++) array.SetValue(found[i], i);
            return array;
        }
        return type.IsAbstract || type.IsInterface ? null : Create(type);
    }

    private object Create(Type type)
    {
        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p => Resolve(p.ParameterType)).ToArray();
        return ctor.Invoke(args);
    }
}
