"""HTTP plumbing shared by every domain's endpoints: dependencies and error rendering."""
