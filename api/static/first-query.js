(()=>{function f(){for(let e of document.cookie.split(";")){let[o,...t]=e.trim().split("=");if(o==="vg_csrf")return decodeURIComponent(t.join("="))}return""}function m(e){return fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"content-type":"application/json",accept:"application/json","X-CSRF-Token":f()},body:e})}function s(e,o){let t=JSON.stringify({query:e,variables:o}),r=m(t);r.catch(()=>{}),window.vgStarted={body:t,response:r}}var h=50;var a="projects programmes byHealth { green amber red unknown } budget actualCost keyResultProgress rag ragReason openBudget progress benefits { unit expected realised benefits } accountable { id name kind }",i="owners { id name kind } sponsors { id name kind }",d="status health budget actualCost startDate endDate manager { id name kind } sponsors { id name kind }",n="paths(limit: 1) { length nodes { id name kind } relations { type from { id } to { id } } }",l="item { id name kind ... on Project { health budget programme { id name } } ... on Programme { health budget } }",c=`
  deliveredBy(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${l} ${n} } } }
  projectCount: deliveredBy(kinds: [PROJECT], first: 1) { totalCount }
  programmes: deliveredBy(kinds: [PROGRAMME], first: 500) {
    totalCount edges { node { item { id name kind ... on Programme { projects { id } } } } }
  }`,u=`query($id: ID!, $first: Int!) {
  display { currency }
  entity(id: $id) {
    id name kind sources
    ... on Objective { ${i} delivery { ${a} } ${c} }
    ... on Goal { ${i} delivery { ${a} } ${c} }
    ... on Project { ${d} progress programme { id name kind } }
    ... on Programme { ${d} }
  }
}`;var F=`query($id: ID!, $first: Int!, $after: String!) {
  whatDelivers(target: $id, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { ${l} ${n} } } }
}`,V=`query($id: ID!, $first: Int!) {
  whatDelivers(target: $id, first: $first) { edges { node { item { id } ${n} } } }
}`,H=`query($id: ID!) {
  whyExists(item: $id) { target { id name kind } ${n} }
  impact(item: $id) { dependents { id name kind } affected { id name kind } }
}`;function w(){let e=location.pathname.slice(8);return decodeURIComponent(e)}function p(){return{id:w(),first:h}}s(u,p());})();
