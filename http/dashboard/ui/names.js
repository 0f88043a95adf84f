// Names for ids: a text from the server that names agents, swarms or runs
// by id reads better with their names.

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

// namer returns a function that replaces, in a text, the id of every
// agent, swarm and run the store knows with its name.
export function namer(store) {
  const topics = ['agents', 'swarms', 'runs'].map((t) => store.topic(t));
  const name = (id) => {
    for (const rows of topics) {
      const row = rows.get(id);
      if (row?.name) return row.name;
    }
    return id;
  };
  return (text) => (text || '').replace(uuid, name);
}
