using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>Two versions of a type, one per peer: fields are matched by id, unknown ones skipped, missing ones defaulted.</summary>
public sealed class VersionToleranceTests
{
    public VersionToleranceTests() => TestManifest.EnsureLoaded();

    [Fact]
    public void An_old_sender_leaves_the_new_fields_at_their_defaults()
    {
        var bytes = Serializer.SerializeToArray(new PersonV1 { Name = "Ada", Age = 36 });

        var person = Serializer.Deserialize<PersonV2>(bytes);

        Assert.Equal("Ada", person.Name);
        Assert.Null(person.Email);
        Assert.Equal(["default"], person.Tags);
    }

    [Fact]
    public void A_new_sender_has_its_unknown_fields_skipped()
    {
        var bytes = Serializer.SerializeToArray(new PersonV2 { Name = "Grace", Email = "g@example.com", Tags = ["a", "b"] });

        var person = Serializer.Deserialize<PersonV1>(bytes);

        Assert.Equal("Grace", person.Name);
        Assert.Equal(0, person.Age);
    }

    [Fact]
    public void Versions_mix_inside_collections_and_the_rest_of_the_message_still_reads()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) =>
        {
            w.WriteStartObject(0);
            TypeManifest.GetCodec<List<PersonV2>>().WriteField(ref w, 0, [new PersonV2 { Name = "a", Email = "x" }, new PersonV2 { Name = "b" }]);
            w.WriteString(1, "after");
            w.WriteEndObject();
        });

        var (people, after) = WireTestKit.Read(bytes, (ref WireReader r) =>
        {
            List<PersonV1>? list = null;
            string? text = null;
            r.EnterObject(r.ReadField());
            while (r.ReadFieldHeader(out var field))
            {
                switch (field.Id)
                {
                    case 0:
                        list = TypeManifest.GetCodec<List<PersonV1>>().ReadValue(ref r, field);
                        break;
                    case 1:
                        text = r.ReadString(field);
                        break;
                }
            }

            return (list, text);
        });

        Assert.Equal(["a", "b"], people!.Select(p => p.Name));
        Assert.Equal("after", after);
    }
}
