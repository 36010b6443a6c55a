using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

// Data Protection's key ring for an instance without lasting storage: the keys live as long as the process, copied in
// and out so that no caller changes the stored elements.
internal sealed class InMemoryKeyRepository : IXmlRepository
{
    private readonly List<XElement> _elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_elements) return _elements.Select(element => new XElement(element)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_elements) _elements.Add(new XElement(element));
    }
}
